use crate::error::PageError;
use crate::extract::{parse_id, PageForm, PageUser};
use crate::forms::{correctable, redirect_or_again, Done};
use crate::shell::{render, Nav};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dualtrack_domain::role::Role;
use dualtrack_domain::time::display;
use dualtrack_service::users::{NewUserInput, UserView};
use dualtrack_service::{Actor, ServiceError};
use serde::Deserialize;

/// The roles the pages may grant: the business roles. The three administrative roles are
/// granted on the server's command line only.
fn all_roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .filter(|r| !r.is_administrative())
        .map(|r| (r.as_str(), r.zh()))
        .collect()
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    jurisdiction_code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl UserForm {
    fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    q: String,
    users: Vec<UserView>,
    roles: Vec<(&'static str, &'static str)>,
    form: UserForm,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

async fn users_page(
    st: &AppState,
    actor: &Actor,
    q: String,
    form: UserForm,
    error: Option<String>,
) -> Result<UsersPage, PageError> {
    let users = st.app.list_users(actor, Some(&q), 200, 0).await?;
    Ok(UsersPage {
        nav: Nav::of(st, actor).await,
        q,
        users,
        roles: all_roles(),
        form,
        error,
    })
}

pub async fn list(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let form = UserForm {
        jurisdiction_code: actor.home_code().unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(&users_page(&st, &actor, q.q, form, None).await?))
}

pub async fn create(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    PageForm(f): PageForm<UserForm>,
) -> Result<Response, PageError> {
    let input = NewUserInput {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        password: f.password.clone(),
        jurisdiction_code: f.jurisdiction_code.clone(),
        roles: f.roles.clone(),
    };
    redirect_or_again(
        st.app.create_user(&actor, &input).await,
        |u| format!("/users/{}", u.id),
        correctable,
        |message| {
            users_page(
                &st,
                &actor,
                String::new(),
                UserForm {
                    password: String::new(),
                    ..f
                },
                Some(message),
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    nav: Nav,
    user_roles: Vec<&'static str>,
    /// An administrator's account: changed on the command line only, so no forms.
    admin_account: bool,
    created_at: String,
    user: UserView,
    roles: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn user_page(
    st: &AppState,
    actor: &Actor,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
) -> Result<UserPage, PageError> {
    let user = st.app.get_user(actor, id).await?;
    Ok(UserPage {
        nav: Nav::of(st, actor).await.with_notice(notice),
        user_roles: user.roles.iter().map(|r| r.as_str()).collect(),
        admin_account: user.roles.iter().any(|r| r.is_administrative()),
        created_at: display(user.created_at),
        user,
        roles: all_roles(),
        error,
    })
}

pub async fn page(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let notice = d.notice(
        &[
            ("roles", "角色已保存"),
            ("lock", "账户已锁定"),
            ("unlock", "账户已解锁"),
            ("password", "密码已重置"),
        ],
        "已保存",
    );
    Ok(render(
        &user_page(&st, &actor, parse_id(&id)?, None, notice).await?,
    ))
}

/// Runs a change to one account; a refused input shows the account page with the reason.
async fn change<F>(
    st: &AppState,
    actor: &Actor,
    raw_id: &str,
    what: &str,
    f: F,
) -> Result<Response, PageError>
where
    F: AsyncFnOnce(i64) -> Result<(), ServiceError>,
{
    let id = parse_id(raw_id)?;
    redirect_or_again(
        f(id).await,
        |()| format!("/users/{id}?done={what}"),
        correctable,
        |message| user_page(st, actor, id, Some(message), None),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct RolesForm {
    #[serde(default)]
    roles: Vec<String>,
}

pub async fn set_roles(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<RolesForm>,
) -> Result<Response, PageError> {
    change(&st, &actor, &id, "roles", async |id| {
        st.app
            .set_user_roles(&actor, id, &f.roles)
            .await
            .map(|_| ())
    })
    .await
}

pub async fn lock(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    change(&st, &actor, &id, "lock", async |id| {
        st.app.set_user_locked(&actor, id, true).await.map(|_| ())
    })
    .await
}

pub async fn unlock(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    change(&st, &actor, &id, "unlock", async |id| {
        st.app.set_user_locked(&actor, id, false).await.map(|_| ())
    })
    .await
}

pub async fn reset_second_factor(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    change(&st, &actor, &id, "second_factor", async |id| {
        st.app.reset_second_factor(&actor, id).await
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
}

pub async fn reset_password(
    State(st): State<AppState>,
    PageUser(actor): PageUser,
    Path(id): Path<String>,
    PageForm(f): PageForm<ResetForm>,
) -> Result<Response, PageError> {
    change(&st, &actor, &id, "password", async |id| {
        if actor.user_id == Some(id) {
            return Err(ServiceError::invalid(
                "new_password",
                "修改本人密码请到“我的账户”页面",
            ));
        }
        st.app.set_password(&actor, id, None, &f.new_password).await
    })
    .await
}
